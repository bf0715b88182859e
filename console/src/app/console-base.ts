/**
 * Where the server serves the console. Its own module, free of generated code, so the entry script
 * can read it before the app's modules (and their protobuf descriptors) are evaluated.
 */
export const CONSOLE_BASE = "/console";
