import { Code, ConnectError } from "@connectrpc/connect";
import { QueryClient } from "@tanstack/react-query";

/** Codes where asking again cannot help: the request itself is wrong or the thing is not there. */
const FINAL_CODES = new Set([Code.InvalidArgument, Code.NotFound, Code.AlreadyExists, Code.PermissionDenied, Code.Unauthenticated, Code.FailedPrecondition, Code.Unimplemented]);

export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 10_000,
      refetchOnWindowFocus: false,
      retry: (failures, error) => failures < 2 && !(error instanceof ConnectError && FINAL_CODES.has(error.code)),
    },
  },
});
