/** TODO: MessagesPage. */
export default function MessagesPage() {
  return (
    <section>
      <h1>MessagesPage</h1>
    </section>
  );
}
