/** A problem with the command, its inputs or its output folder: reported before any image is processed. */
export class AuditError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AuditError";
  }
}

export const message = (error: unknown) => (error instanceof Error ? error.message : String(error));
