/** Not written yet. */
export default function Page() {
  return <p className="status">This page is not built yet.</p>;
}
