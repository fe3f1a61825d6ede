/** Why a restore failed: one clear sentence, and the task it concerns when there is one. */
export interface RestoreError {
  readonly step: string;
  readonly pid?: number;
  readonly message: string;
}

/** Thrown inside the restore and turned into an `Either` at its edge. */
export class RestoreFault extends Error {
  constructor(
    readonly step: string,
    message: string,
    readonly pid?: number,
  ) {
    super(message);
  }
}
