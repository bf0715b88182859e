import { isRouteErrorResponse, Link, useRouteError } from "react-router";

/** A page that threw while rendering: say what broke and offer a way back, rather than a blank screen. */
export function RouteError() {
  const error = useRouteError();
  const message = isRouteErrorResponse(error) ? `${error.status} ${error.statusText}` : error instanceof Error ? error.message : String(error);
  return (
    <main className="page" id="main">
      <h1>Something went wrong</h1>
      <p role="alert">{message}</p>
      <p>
        <Link to="/">Back to the projects</Link>
      </p>
    </main>
  );
}
