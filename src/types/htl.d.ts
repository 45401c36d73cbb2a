// htl 0.3 ships no type declarations; pages only use it as a tagged template.
declare module "htl" {
  export function html(strings: TemplateStringsArray, ...values: unknown[]): HTMLElement;
  export function svg(strings: TemplateStringsArray, ...values: unknown[]): SVGElement;
}
