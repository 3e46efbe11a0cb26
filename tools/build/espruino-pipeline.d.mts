import type { RollupOptions, OutputOptions, InputPluginOption, WarningHandlerWithDefault } from "rollup";
export interface EspruinoBundleOptions {
  input: string;
  file: string;
  debugFile?: string;
  sizeFile?: string;
  printSizes?: boolean;
  printSizeAs?: string;
  tsconfig?: string;
  evalResult?: boolean;
  module?: boolean;
  prefix?: string;
  gate?: boolean;
  flatten?: boolean;
  /** Minified as written: no paramsFromArguments (the boot stub). */
  keepParameters?: boolean;
}
export const terserMinified: Record<string, unknown>;
export const terserDebug: Record<string, unknown>;
export function fillArrayHoles(code: string): string;
export function hoistVars(code: string): string;
export function evalStatement(code: string): string;
export function flattenIife(code: string): string;
export function flattenClasses(code: string): string;
export function inlineConstants(code: string): string;
export function paramsFromArguments(code: string): string;
export function releaseBootOnly(code: string): string;
export function keepFactoriesApart(code: string): string;
export function pasteHelpersIntoCalls(code: string): string;
export const ALLOCATION_FREE_MODULES: string[];
export function allocationFreeNames(): Set<string>;
export function markAllocationFree(code: string, names: Set<string>): string;
export function shortenAllocationFree(code: string): string;
export interface EspruinoRollupConfig extends RollupOptions {
  input: string;
  plugins: InputPluginOption;
  output: OutputOptions[];
  onwarn: WarningHandlerWithDefault;
}
export function espruinoBundle(o: EspruinoBundleOptions): EspruinoRollupConfig;
export const BOOT_STUB_ENTRY: string;
export function bootStubBundle(o: { file: string; debugFile?: string; printSizeAs?: string }): EspruinoRollupConfig;
export function moduleExpression(code: string): string;
export const ON_DEMAND_MODULES: Array<{ name: string; input: string }>;
export function moduleMarker(name: string): string;
export function moduleBody(code: string): string;
export function slotImage(warm: string, modules: Array<{ name: string; code: string }>): string;
export function applicationBundles(o: { input: string; dir: string; name: string; sizeFile?: string; printSizes?: boolean }): EspruinoRollupConfig[];
export const MODULE_LOADER_SOURCE: string;
