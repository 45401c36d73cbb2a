/** Node-only: a bundle source over a folder on disk. Kept apart so browser code never imports `fs`. */
import {access, readFile} from "node:fs/promises";
import path from "node:path";
import {BundleError, type BundleSource} from "../bundle/source.js";

export function directorySource(folder: string): BundleSource {
  const root = path.resolve(folder);
  const resolve = (relative: string) => {
    const full = path.resolve(root, relative);
    // A card must not reach outside its own folder.
    if (full !== root && !full.startsWith(root + path.sep)) throw new BundleError(`${relative} points outside ${root}`);
    return full;
  };
  return {
    location: root,
    async readBytes(relative) {
      try {
        const buffer = await readFile(resolve(relative));
        return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
      } catch (error) {
        if (error instanceof BundleError) throw error;
        const code = (error as NodeJS.ErrnoException).code;
        throw new BundleError(code === "ENOENT" ? `${resolve(relative)} does not exist` : `${resolve(relative)}: ${(error as Error).message}`, {cause: error});
      }
    },
    async exists(relative) {
      try {
        await access(resolve(relative));
        return true;
      } catch {
        return false;
      }
    }
  };
}
