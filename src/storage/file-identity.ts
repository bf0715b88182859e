import { statSync } from "node:fs";
import { AdminError } from "../core/errors.js";

export interface FileIdentity {
  /** Stats the path (a few microseconds); throws UNAVAILABLE once it is not the file opened. */
  check(): void;
  /** Throws UNAVAILABLE when an earlier check found the file gone; costs nothing otherwise. */
  refuseIfKnownGone(): void;
}

/**
 * Remembers which file (device and inode) a path named when it was opened.
 * SQLite keeps writing to an open file after it is deleted or replaced (by a
 * restore, a mistaken `rm`, a volume swapped under a container), and those
 * writes vanish at the next start, so once the path names another file or
 * none, writes (and from then on reads) are refused. It does not heal by
 * itself: the file now at the path is another database, and which one to
 * serve is an operator's call (restart the server).
 */
export function watchFileIdentity(path: string): FileIdentity {
  const opened = statSync(path);
  let gone: string | undefined;
  const refuseIfKnownGone = () => {
    if (gone) throw new AdminError("Unavailable", gone);
  };
  return {
    refuseIfKnownGone,
    check() {
      refuseIfKnownGone();
      const now = statSync(path, { throwIfNoEntry: false });
      if (now && now.ino === opened.ino && now.dev === opened.dev) return;
      gone = `database file ${path} was ${now ? "replaced" : "deleted"} while the server was running; nothing is read from or written to it until the server is restarted`;
      refuseIfKnownGone();
    },
  };
}
