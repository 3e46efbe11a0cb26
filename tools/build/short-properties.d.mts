export const SHORT_PROPERTIES: string[];
export const CLIENT_DIRS: string[];
export const MARK: string;
export const SHORT_PREFIX: string;
export function isClientModule(root: string, path: string): boolean;
export function shortPropertyNames(names: string[]): Map<string, string>;
export function markProperties(code: string, names: string[]): string;
export function shortenProperties(code: string, names: string[], minified: boolean): string;
