// A stand-in room for the example: without a sensor on the board, the temperature follows
// the heater (up 0.05 degC per second while it heats, down towards 15 degC otherwise). On a
// real installation replace it with a sensor read, e.g. a DS18B20 on OneWire.
import type { Clock } from "../../hal/types";

export interface Room {
  read(): number;
  heat(on: boolean): void;
}

const OUTSIDE = 15;
const HEAT_PER_S = 0.05;
const LOSS_PER_S = 0.002;

export function createRoom(clock: Clock, start: number): Room {
  let temperature = start;
  let heating = false;
  let last = clock.nowMs();
  function advance(): void {
    const now = clock.nowMs();
    let s = (now - last) / 1000;
    last = now;
    if (!(s > 0)) return;
    if (s > 3600) s = 3600;
    if (heating) temperature += HEAT_PER_S * s;
    temperature -= (temperature - OUTSIDE) * (1 - Math.exp(-LOSS_PER_S * s));
  }
  return {
    read: function () {
      advance();
      return temperature;
    },
    heat: function (on: boolean) {
      advance();
      heating = on;
    },
  };
}
