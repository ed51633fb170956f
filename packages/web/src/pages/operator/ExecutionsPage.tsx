/** TODO: ExecutionsPage. */
export default function ExecutionsPage() {
  return (
    <section>
      <h1>ExecutionsPage</h1>
    </section>
  );
}
