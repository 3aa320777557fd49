// js-yaml ships no types; we use only `load`.
declare module "js-yaml" {
  export function load(text: string): unknown;
}
