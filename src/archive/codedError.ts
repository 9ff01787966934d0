/**
 * An error with a stable `code` saying what went wrong, for callers to act on; its message says what to do. The
 * packer's PackError and the extractor's ExtractError are its kinds.
 */
export class CodedError<Code extends string> extends Error {
  constructor(
    readonly code: Code,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
