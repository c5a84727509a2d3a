/** Where a feed has been read up to. Stored in the checkpoint, so it must be plain data. */
export interface FeedCursor {
  /** Incremented when the feed is replaced by a different file (rotation, truncation). */
  generation: number;
  /** Bytes of the current generation accounted for (records and their terminators). */
  offset: number;
  /** Line number the next record starts on. */
  line: number;
  /**
   * The last record was taken without its line terminator (the client's export ends that way): the next
   * bytes must start with one.
   */
  openLine: boolean;
}

export const START_CURSOR: FeedCursor = { generation: 0, offset: 0, line: 1, openLine: false };
