/** Operators search every driver's messages (or one driver's). */
import { MessageSearch } from "../../components/MessageSearch.js";

export default function MessagesPage() {
  return (
    <section>
      <h1>Driver messages</h1>
      <MessageSearch path="messages" withDriver />
    </section>
  );
}
