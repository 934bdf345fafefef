-- The topic counts of migration 006 for new article topics are added by the store, once per
-- batch of articles (two set-based statements, bot/store/sqlite.py `replace_topics`),
-- instead of by a trigger per article topic: ten trigger runs per article cost about as much
-- as storing the article itself. Removals and date changes keep their triggers.
DROP TRIGGER article_topics_count_insert;
