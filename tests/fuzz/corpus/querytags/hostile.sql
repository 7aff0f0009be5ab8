SELECT '[2J]0;PWNED' /*controller='[31mred',action='<img src=x>[c](https://e/)',stack='Evil]8;;https://evil.example/click]8;;::frame evil.cpp:1|```fence```|Outer outer.cpp:2'*/
SELECT 1 /*route='%C2%9B2J%E2%80%AEdesrever%E2%81%A6iso',db_driver='x'*/ -- [31m ‮ reversed
SELECT 1 /*route='bad%FF%FE%C0%9Bbytes%00nul%1B%5B2J',db_driver='x'*/
SELECT 1 /*controller='%3Dcmd%7C%27%20%2FC%20calc%27%21A0',db_driver='x'*/
