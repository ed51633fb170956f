/** TODO: ReservationPage. */
export default function ReservationPage() {
  return (
    <section>
      <h1>ReservationPage</h1>
    </section>
  );
}
