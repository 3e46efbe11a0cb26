export const SHORT_PROPERTIES: string[];
export const SHORT_PREFIX: string;
export function shortPropertyNames(names: string[]): Map<string, string>;
export function shortenProperties(code: string, names: string[]): string;
