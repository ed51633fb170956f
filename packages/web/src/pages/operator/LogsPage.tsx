/** TODO: LogsPage. */
export default function LogsPage() {
  return (
    <section>
      <h1>LogsPage</h1>
    </section>
  );
}
