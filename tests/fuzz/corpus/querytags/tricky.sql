/* load Order */ SELECT $tag$ /* $tag$, E'\'/*', "a/*" -- /*
/* a /* nested */ b */ /*route='x