import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The package root (the folder holding package.json and migrations/), found
 * from this module's location so it works from src/ under tsx and from a
 * compiled dist/ alike, whatever the working directory.
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("package.json not found above " + fileURLToPath(import.meta.url));
    dir = parent;
  }
  return dir;
}

export const migrationsFolder = (dialect: "sqlite" | "pg") => join(packageRoot(), "migrations", dialect);
