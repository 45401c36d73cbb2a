// Framework's standard library, as local modules import it (pages get it implicitly).
declare module "observablehq:stdlib" {
  export interface FileAttachmentHandle {
    name: string;
    href: string;
    size?: number;
    mimeType?: string;
    url(): Promise<string>;
    arrayBuffer(): Promise<ArrayBuffer>;
    text(): Promise<string>;
    json(): Promise<unknown>;
    csv(options?: {typed?: boolean}): Promise<Record<string, unknown>[]>;
    blob(): Promise<Blob>;
  }
  export function FileAttachment(name: string): FileAttachmentHandle;
}
