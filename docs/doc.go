// Package docs holds Hydrant's documentation pages (the Markdown files beside this one). Its
// tests keep them honest: every command the README and these pages show in a `sh` or `console`
// block is either run by the tests, with its output compared where the page shows one, or is on
// an explicit list of commands that need a real AWS account, each with the local command that
// stands in for it. See testing.md, "The docs test".
package docs
