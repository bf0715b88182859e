/** Where a request reached this server: scheme and host[:port], as the server's edge decided them. */
export interface RequestOrigin {
  proto: string;
  host: string;
}

interface Parsed {
  text: string;
  scheme: string;
  hostname: string;
  port: string;
}

const parse = (text: string): Parsed | undefined => {
  try {
    const u = new URL(text);
    return { text, scheme: u.protocol.replace(/:$/, ""), hostname: u.hostname.toLowerCase(), port: u.port };
  } catch {
    return undefined;
  }
};

/**
 * The public URL a request is answered for (FlyteAdmin's GetPublicURL): the
 * `authorizedUris` entry with the request's host and scheme, else its host and
 * port, else its host, else the first entry. The entry is returned exactly as
 * configured: it is the issuer and the audience of the tokens issued for it.
 * Unlike FlyteAdmin, which assumes https, the request's real scheme counts.
 */
export function pickPublicUrl(origin: RequestOrigin | undefined, authorizedUris: readonly string[]): string {
  const first = authorizedUris[0] ?? "";
  const request = origin && origin.host !== "" ? parse(`${origin.proto || "https"}://${origin.host}`) : undefined;
  if (!request) return first;
  let sameHostAndPort: string | undefined;
  let sameHost: string | undefined;
  for (const text of authorizedUris) {
    const candidate = parse(text);
    if (!candidate || candidate.hostname !== request.hostname) continue;
    if (candidate.scheme === request.scheme) return text;
    // The last of each kind, as FlyteAdmin's loop keeps it.
    if (candidate.port === request.port) sameHostAndPort = text;
    sameHost = text;
  }
  return sameHostAndPort ?? sameHost ?? first;
}

/** An absolute path resolved against a public URL (`/oauth2/token` → `https://flyte.example.com/oauth2/token`), as Go's ResolveReference does. */
export function endpointOf(publicUrl: string, path: string): string {
  return new URL(path, publicUrl).toString();
}
