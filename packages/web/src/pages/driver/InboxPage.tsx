/** TODO: InboxPage. */
export default function InboxPage() {
  return (
    <section>
      <h1>InboxPage</h1>
    </section>
  );
}
