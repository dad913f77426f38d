-- Which text of the dialog script a call ran (issue 10): the first 16 hex digits of the SHA-256
-- of the script file's bytes, beside dialog_id and dialog_version (the version a supervisor may
-- forget to change). Scripts are picked up without restart, so attempts of one campaign may run
-- several. Null for attempts recorded before.
alter table attempt add column dialog_hash text;
