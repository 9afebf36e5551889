-- Why a send was stopped on our side (a sender or reply-to address no message can be built with), shown to staff
-- until they fix it and resume. Expand-only: older nodes ignore the column.
ALTER TABLE newsletter_issues ADD COLUMN stop_reason TEXT;
