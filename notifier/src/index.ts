export { notify, worker, type NotifierStatus } from './notify.ts';
export { loadNotifierConfig, type NotifierConfig, type MilestoneRules } from './config.ts';
