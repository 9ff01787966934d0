import type { PackProgress } from './packTypes';

const PROGRESS_INTERVAL_MS = 50;

/** Counts the files done and tells `onProgress` at most every 50 ms, and always once the last file is done. */
export class ProgressReporter {
  private readonly progress: PackProgress;
  private lastReport = -Infinity;

  constructor(
    totalFiles: number,
    totalBytes: number,
    private readonly onProgress: ((progress: PackProgress) => void) | undefined,
  ) {
    this.progress = { files: 0, totalFiles, bytes: 0, totalBytes };
  }

  /** One more file, of `size` bytes, is done. */
  done(size: number): void {
    const { progress, onProgress } = this;
    progress.files++;
    progress.bytes += size;
    const now = performance.now();
    if (onProgress && (now - this.lastReport >= PROGRESS_INTERVAL_MS || progress.files === progress.totalFiles)) {
      this.lastReport = now;
      onProgress({ ...progress });
    }
  }

  /** Where there were no files, and so no last one: reports the (empty) totals once. */
  nothingToDo(): void {
    this.onProgress?.({ ...this.progress });
  }
}
