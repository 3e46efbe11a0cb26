import type { RollupOptions, OutputOptions, InputPluginOption, WarningHandlerWithDefault } from "rollup";
export interface EspruinoBundleOptions {
  input: string;
  file: string;
  debugFile?: string;
  sizeFile?: string;
  printSizes?: boolean;
  tsconfig?: string;
}
export const terserMinified: Record<string, unknown>;
export const terserDebug: Record<string, unknown>;
export function fillArrayHoles(code: string): string;
export function hoistVars(code: string): string;
export function espruinoBundle(o: EspruinoBundleOptions): RollupOptions & {
  input: string;
  plugins: InputPluginOption;
  output: OutputOptions[];
  onwarn: WarningHandlerWithDefault;
};
