/** A URL that lets its holder read or write one blob until it expires, without other credentials. */
export interface SignedUrl {
  url: string;
  /** Headers the client must send with the request (the signature covers them). */
  headers: Record<string, string>;
}

export interface SignRequest {
  key: string;
  method: "PUT" | "GET";
  /** The instant the URL stops working. */
  expiresAt: Date;
  /** For PUT: the only content the URL accepts. */
  contentMd5?: Uint8Array;
  /** For PUT: also record the MD5 as object metadata, so a later existence check can compare it. */
  addMd5Metadata?: boolean;
  /**
   * For PUT: the URL may create the object but not replace other content. With an MD5 the
   * content is fixed anyway; without one S3 is sent `If-None-Match: *`. (The local store's
   * own endpoint never lets a signed PUT replace an object with different content.)
   */
  createOnly?: boolean;
  /** scheme://host[:port] the caller reached this server at; self-served URLs point there. */
  origin: string;
}

export interface UrlSigner {
  sign(request: SignRequest): Promise<SignedUrl>;
}

/** What a store that signs its own URLs (S3) is asked: no origin, the store has its own address. */
export type PresignRequest = Omit<SignRequest, "origin">;
