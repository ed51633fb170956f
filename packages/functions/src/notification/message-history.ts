/**
 * What the message-history handlers share: one MessageHistory per execution environment (the
 * shared OpenSearch client), and the mapping of a refused search cursor to the 400 that names
 * `query.cursor` (the domain cannot know the field came from the query string).
 */
import { InvalidInputError } from "@haul/core/errors";
import { createMessageHistory, type MessageHistory } from "@haul/core/notification/message-history";
import { HttpProblem } from "../shared/problem.js";

let history: MessageHistory | undefined;

export function getMessageHistory(): MessageHistory {
  history ??= createMessageHistory();
  return history;
}

/** Runs a search; a cursor made for another search is the client's mistake in `query.cursor`. */
export async function searching<T>(search: () => Promise<T>): Promise<T> {
  try {
    return await search();
  } catch (error) {
    if (error instanceof InvalidInputError && error.fields.some((field) => field.name === "cursor")) {
      throw new HttpProblem(400, "Invalid request", "Some query fields are invalid.", [
        { name: "query.cursor", reason: "was issued for another search (other filters), or is not a cursor this API issued" },
      ]);
    }
    throw error;
  }
}
