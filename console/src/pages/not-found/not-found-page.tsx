import { Link, useLocation } from "react-router";

export default function NotFoundPage() {
  const location = useLocation();
  return (
    <>
      <h1>Page not found</h1>
      <p>
        Nothing lives at <code>{location.pathname}</code>. <Link to="/">See the projects</Link>.
      </p>
    </>
  );
}
