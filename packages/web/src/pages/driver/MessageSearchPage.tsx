/** TODO: MessageSearchPage. */
export default function MessageSearchPage() {
  return (
    <section>
      <h1>MessageSearchPage</h1>
    </section>
  );
}
