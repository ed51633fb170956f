/** TODO: ReservePage. */
export default function ReservePage() {
  return (
    <section>
      <h1>ReservePage</h1>
    </section>
  );
}
