import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "postgresql",
  schema: "./src/storage/schema/pg.ts",
  out: "./migrations/pg",
  casing: "snake_case",
});
