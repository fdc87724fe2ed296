/**
 * One process at a time on an embedded database. PGlite keeps its files in DATA_DIR and takes no lock of
 * its own: a second `npm start` on another PORT opened the same files and both wrote them, which
 * corrupts the database. The lock is a file created exclusively, holding the owner's pid; a lock whose
 * process is gone (killed with -9, the machine restarted) is taken over.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";

export const LOCK_FILE = "pglite.lock";

/** Another live process holds DATA_DIR. */
export class DataDirInUseError extends Error {
  constructor(
    readonly file: string,
    readonly pid: number,
  ) {
    super(
      `${file} says process ${pid} is using this embedded database (another smpp-bridge on the same ` +
        `DATA_DIR?). Stop it, or give this one its own DATA_DIR; if no such process runs, delete the file.`,
    );
    this.name = "DataDirInUseError";
  }
}

/** Takes the lock of `directory`; returns its release. Throws {@link DataDirInUseError} when held. */
export function lockDataDir(directory: string): () => void {
  const file = join(directory, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, "wx", 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = holderOf(file);
      if (holder !== undefined && holder !== process.pid && isAlive(holder))
        throw new DataDirInUseError(file, holder);
      // Stale (its process is gone) or unreadable: take it over, once.
      unlinkSync(file);
      continue;
    }
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    return () => {
      if (holderOf(file) === process.pid) unlinkSync(file);
    };
  }
  throw new Error(`could not take ${file}`);
}

function holderOf(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, "utf8"), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, owned by another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
