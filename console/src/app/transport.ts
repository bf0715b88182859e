import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { AdminService } from "../../../gen/flyteidl/service/admin_pb.js";
import { DataProxyService } from "../../../gen/flyteidl/service/dataproxy_pb.js";
import { IdentityService } from "../../../gen/flyteidl/service/identity_pb.js";
import { SignalService } from "../../../gen/flyteidl/service/signal_pb.js";
import { earlyAnswerInterceptor } from "../lib/early-answer-interceptor.js";
import { browserLoginPage, loginRedirectInterceptor } from "../lib/login-redirect.js";
import { publishedEarlyAnswers } from "../lib/early-answers.js";
import { createPageLimit, pageSizeInterceptor } from "../lib/paging.js";
import { CALL_TIMEOUT_MS } from "./console-settings.js";

/** The server's page-size cap, learned from its first refusal (lib/paging). */
const pageLimit = createPageLimit();

/** Answers to a first visit's calls, sent by the page's early script before the app started (app/early-calls.ts). */
const early = publishedEarlyAnswers(globalThis);

/** Where an unauthenticated call sends the browser: the server's login, back to this page after. */
const loginPage = browserLoginPage();

/**
 * The console talks to the server that served it (same origin), over gRPC-Web in the binary format:
 * the same service the CLIs use, so the console sees exactly what pyflyte and flytectl see.
 */
export const transport = createGrpcWebTransport({
  baseUrl: globalThis.location?.origin ?? "http://localhost",
  // A stuck request would freeze a page's spinner forever; every call gets a deadline.
  defaultTimeoutMs: CALL_TIMEOUT_MS,
  // The page-size interceptor goes first: it may change the request, and an early answer fits
  // only the request as it finally goes out.
  // The login redirect is outermost: it sees every refusal, early answers' included.
  interceptors: [...(loginPage ? [loginRedirectInterceptor(loginPage)] : []), pageSizeInterceptor(pageLimit), ...(early ? [earlyAnswerInterceptor(early)] : [])],
});

export const adminClient: Client<typeof AdminService> = createClient(AdminService, transport);
export const signalClient: Client<typeof SignalService> = createClient(SignalService, transport);
export const dataProxyClient: Client<typeof DataProxyService> = createClient(DataProxyService, transport);
export const identityClient: Client<typeof IdentityService> = createClient(IdentityService, transport);

export { AdminService, DataProxyService, IdentityService, SignalService };
