import type { FormEventHandler, KeyboardEvent, Ref } from "react";
import { Form } from "react-router";
import { MAX_QUESTION_LENGTH } from "~/lib/assistant";
import { Button } from "./ui/button";
import { inputClass } from "./ui/field";

/**
 * Enter sends the question, Shift+Enter breaks the line. Never while an input method is
 * composing (Japanese, Chinese, Korean: Enter there confirms the characters), and only
 * with JavaScript: without it, the button sends.
 */
export function sendOnEnter(event: KeyboardEvent<HTMLTextAreaElement>) {
  if (event.key !== "Enter" || event.shiftKey || event.nativeEvent.isComposing || event.keyCode === 229) return;
  event.preventDefault();
  event.currentTarget.form?.requestSubmit();
}

/**
 * The assistant's ask box: a question field and its button, a plain form post (it works
 * without JavaScript). `sticky` keeps it at the bottom of the screen over a long
 * conversation, so the next question is always one tap away.
 */
export function QuestionBox({
  label,
  error,
  pending,
  onSubmit,
  formRef,
  action,
  sticky = false,
  placeholder = "e.g. Who knows where the crown is?",
}: {
  label: string;
  error?: string | null;
  pending: boolean;
  onSubmit?: FormEventHandler<HTMLFormElement>;
  formRef?: Ref<HTMLFormElement>;
  action?: string;
  sticky?: boolean;
  placeholder?: string;
}) {
  return (
    <Form
      method="post"
      action={action}
      ref={formRef}
      onSubmit={onSubmit}
      className={`space-y-2 rounded-lg border border-stone-300 bg-white p-3 sm:p-4 ${
        sticky ? "sticky bottom-0 z-10 shadow-[0_-4px_12px_rgba(0,0,0,0.08)]" : ""
      }`}
    >
      <input type="hidden" name="intent" value="ask" />
      <label htmlFor="question" className="block font-medium">
        {label}
      </label>
      <div className="flex items-end gap-2">
        <textarea
          id="question"
          name="question"
          rows={2}
          required
          maxLength={MAX_QUESTION_LENGTH}
          enterKeyHint="send"
          onKeyDown={sendOnEnter}
          aria-describedby={error ? "question-error question-hint" : "question-hint"}
          className={`${inputClass} mt-0 min-w-0 flex-1 resize-y`}
          placeholder={placeholder}
        />
        <Button type="submit" pending={pending}>
          {pending ? "Answering…" : "Ask"}
        </Button>
      </div>
      <p id="question-hint" className="hidden text-stone-600 text-xs sm:block">
        Enter sends; Shift+Enter starts a new line.
      </p>
      {error ? (
        <p id="question-error" role="alert" className="text-red-700 text-sm">
          {error}
        </p>
      ) : null}
    </Form>
  );
}

/** Questions that start a conversation in one tap: each a form posting it to the campaign's assistant. */
export function SuggestedQuestions({ questions, action }: { questions: string[]; action?: string }) {
  return (
    <ul className="flex flex-wrap gap-2">
      {questions.map((question) => (
        <li key={question}>
          <Form method="post" action={action}>
            <input type="hidden" name="question" value={question} />
            <Button type="submit" variant="secondary" className="text-left">
              {question}
            </Button>
          </Form>
        </li>
      ))}
    </ul>
  );
}
