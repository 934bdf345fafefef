-- Indexes for autocomplete, which answers as a member types.

-- Titles alone: a typed prefix such as `gover` reads the few articles whose title
-- matches, instead of rechecking the whole tsvector of every article with the word in
-- its body (20,000 articles: 208 ms -> 0.5 ms). The expression must stay the one
-- `article_title_matches` queries.
CREATE INDEX articles_title_search ON articles
    USING gin (setweight(to_tsvector('newsbot', title), 'A'));

-- Topic labels by trigrams (as SQLite's migration 008), for `label ILIKE '%bro%'`
-- (20,000 articles, 20,841 topics: 51 ms -> 5 ms).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX topics_label_trigrams ON topics USING gin (label gin_trgm_ops);
