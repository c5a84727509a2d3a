/** A row of the `milestones` outbox, as the tests and the chaos checks read it back. */
export interface MilestoneRow {
  milestone_id: string;
  rule: string;
  subject: string;
  step: string;
  status: string;
  slack_ts: string | null;
}
