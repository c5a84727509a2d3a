export { notify, type NotifierStatus } from './notify.ts';
export { loadNotifierConfig, type NotifierConfig, type MilestoneRules } from './config.ts';
