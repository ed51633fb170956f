/** TODO: ExecutionPage. */
export default function ExecutionPage() {
  return (
    <section>
      <h1>ExecutionPage</h1>
    </section>
  );
}
