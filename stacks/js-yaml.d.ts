// js-yaml comes with @pulumi/pulumi (its dependency) and ships no types; we use only `load`.
declare module "js-yaml" {
  export function load(text: string): unknown;
}
