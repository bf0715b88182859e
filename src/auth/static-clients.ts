/** An OAuth2 client of the self-hosted authorization server, in FlyteAdmin's (fosite's) shape. */
export interface StaticClient {
  id: string;
  /** The bcrypt hash of the secret; "" for a public client. */
  secretHash: string;
  redirectUris: string[];
  grantTypes: string[];
  responseTypes: string[];
  scopes: string[];
  audience: string[];
  public: boolean;
}

// fosite's JSON names (FlyteAdmin's YAML uses them), and the camelCase spelling of the same fields.
const FIELDS: Record<string, keyof StaticClient | "secret"> = {
  id: "id",
  client_secret: "secret",
  secret: "secret",
  redirect_uris: "redirectUris",
  redirectUris: "redirectUris",
  grant_types: "grantTypes",
  grantTypes: "grantTypes",
  response_types: "responseTypes",
  responseTypes: "responseTypes",
  scopes: "scopes",
  audience: "audience",
  public: "public",
};

const BCRYPT = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/;
const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * The bcrypt hash a configured secret holds. FlyteAdmin's YAML gives the hash
 * base64-encoded (the field is a Go []byte); the hash itself is taken too.
 * Throws without repeating the value: it is a secret's hash.
 */
export function bcryptHashOf(value: string): string {
  const trimmed = value.trim();
  if (BCRYPT.test(trimmed)) return trimmed;
  const decoded = /^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) ? Buffer.from(trimmed, "base64").toString("latin1") : "";
  if (BCRYPT.test(decoded)) return decoded;
  throw new Error("expected the base64 of a bcrypt hash, as FlyteAdmin's config holds it (`flyteadmin-ts auth hash-secret` makes one)");
}

/**
 * FlyteAdmin's `staticClients`: a mapping of id to client (the id inside
 * defaults to the key), or a list of clients, or of one-entry mappings as in
 * FlyteAdmin's own test data. Errors start with where they are (`.flytepropeller.scopes: …`).
 */
export function parseStaticClients(raw: unknown): StaticClient[] {
  const entries: [string, unknown][] = [];
  if (Array.isArray(raw)) {
    raw.forEach((item, i) => {
      if (isMapping(item) && !("id" in item) && Object.keys(item).length === 1) entries.push(Object.entries(item)[0]!);
      else entries.push([`[${i}]`, item]);
    });
  } else if (isMapping(raw)) {
    entries.push(...Object.entries(raw));
  } else {
    throw new Error(": expected a mapping of client id to {id, client_secret, redirect_uris, grant_types, scopes, public}");
  }
  if (entries.length > 1000) throw new Error(": more than 1000 clients");
  const seen = new Set<string>();
  return entries.map(([key, value]) => {
    const client = parseClient(key, value);
    if (seen.has(client.id)) throw new Error(`.${key}: client id ${JSON.stringify(client.id)} is given twice`);
    seen.add(client.id);
    return client;
  });
}

function parseClient(key: string, raw: unknown): StaticClient {
  const where = `.${key}`;
  if (!isMapping(raw)) throw new Error(`${where}: expected a mapping of ${Object.keys(FIELDS).join(", ")}`);
  const client: StaticClient = { id: key.startsWith("[") ? "" : key, secretHash: "", redirectUris: [], grantTypes: [], responseTypes: [], scopes: [], audience: [], public: false };
  for (const [name, value] of Object.entries(raw)) {
    const field = FIELDS[name];
    if (!field) throw new Error(`${where}: unknown key ${name} (expected ${Object.keys(FIELDS).join(", ")})`);
    if (field === "id") client.id = text(value, `${where}.id`);
    else if (field === "secret") {
      try {
        client.secretHash = bcryptHashOf(text(value, `${where}.${name}`));
      } catch (e) {
        throw new Error(`${where}.${name}: ${(e as Error).message}`);
      }
    } else if (field === "public") {
      if (typeof value !== "boolean") throw new Error(`${where}.public: expected true or false, got ${JSON.stringify(value)}`);
      client.public = value;
    } else if (field !== "secretHash") {
      if (!Array.isArray(value) || value.some((v) => typeof v !== "string")) throw new Error(`${where}.${name}: expected a list of strings`);
      client[field] = value as string[];
    }
  }
  if (client.id === "") throw new Error(`${where}: id is required`);
  if (!/^[\x21-\x7e]{1,200}$/.test(client.id)) throw new Error(`${where}: id must be 1 to 200 visible ASCII characters`);
  if (!client.public && client.secretHash === "") throw new Error(`${where}: a confidential client needs client_secret (or public: true)`);
  if (client.public && client.secretHash !== "") throw new Error(`${where}: a public client has no secret`);
  return client;
}

function text(v: unknown, where: string): string {
  if (typeof v !== "string") throw new Error(`${where}: expected a string`);
  return v;
}
