import { Command } from 'commander';

/** `sales-pipeline feed accept <feed>`. */
export function feedCommand(): Command {
  const feed = new Command('feed').description('snapshot feeds: versions held back for review');
  feed
    .command('accept')
    .argument('<feed>', 'the feed id (as in its sale ids, e.g. ventes)')
    .description(
      'apply the version of the feed that the producer held back because it would cancel more than ' +
        'SNAPSHOT_MAX_CANCEL of its sales (an empty or truncated export?): do it once you know the cancellations are real',
    )
    .action(async (name: string) => {
      const { acceptHold } = await import('../feed/accept-hold.ts');
      const { seq, cancels } = await acceptHold(name);
      process.stdout.write(
        `accepted held version #${seq} of feed ${name} (${cancels} cancellation(s)): the producer applies it at its next poll\n`,
      );
    });
  return feed;
}
