DROP TABLE case_search;
