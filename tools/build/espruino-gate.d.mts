export interface GateFinding {
  construct: string;
  line: number;
  column: number;
  message: string;
}
export function checkBundle(code: string, name?: string): GateFinding[];
