/**
 * Nicknames and short forms of British given names. Each group lists the formal name first and
 * the forms people are registered under; two names match at the "nickname" level when they share
 * a group. A name may sit in several groups (e.g. "Alex" for Alexander and Alexandra), so lookups
 * return every group.
 */

const GROUPS: readonly (readonly string[])[] = [
  ['william', 'bill', 'billy', 'will', 'willie', 'liam'],
  ['margaret', 'peggy', 'maggie', 'meg', 'madge', 'margo', 'rita'],
  ['john', 'jack', 'johnny', 'jackie'],
  ['robert', 'bob', 'bobby', 'rob', 'robbie', 'bert'],
  ['elizabeth', 'liz', 'lizzie', 'beth', 'betty', 'bess', 'elsie', 'eliza', 'libby', 'lisa'],
  ['richard', 'dick', 'rick', 'ricky', 'rich', 'richie'],
  ['edward', 'ed', 'eddie', 'ted', 'teddy', 'ned'],
  ['james', 'jim', 'jimmy', 'jamie'],
  ['thomas', 'tom', 'tommy'],
  ['charles', 'charlie', 'chas', 'chuck'],
  ['henry', 'harry', 'hal', 'hank'],
  ['anthony', 'tony'],
  ['christopher', 'chris', 'kit'],
  ['michael', 'mike', 'mick', 'mickey'],
  ['daniel', 'dan', 'danny'],
  ['david', 'dave', 'davy'],
  ['joseph', 'joe', 'joey'],
  ['samuel', 'sam', 'sammy'],
  ['benjamin', 'ben', 'benny'],
  ['alexander', 'alex', 'sandy', 'alec', 'xander'],
  ['alexandra', 'alex', 'sandra', 'lexie', 'sasha'],
  ['andrew', 'andy', 'drew'],
  ['matthew', 'matt', 'matty'],
  ['nicholas', 'nick', 'nicky'],
  ['stephen', 'steve', 'steven', 'stevie'],
  ['peter', 'pete'],
  ['frederick', 'fred', 'freddie', 'freddy'],
  ['albert', 'bert', 'albie', 'al'],
  ['alfred', 'alf', 'alfie', 'fred'],
  ['arthur', 'art', 'artie'],
  ['george', 'georgie'],
  ['leonard', 'len', 'lenny', 'leo'],
  ['lawrence', 'laurence', 'larry', 'laurie'],
  ['kenneth', 'ken', 'kenny'],
  ['ronald', 'ron', 'ronnie'],
  ['donald', 'don', 'donnie'],
  ['gerald', 'gerry', 'jerry'],
  ['terence', 'terry'],
  ['timothy', 'tim', 'timmy'],
  ['patrick', 'pat', 'paddy'],
  ['francis', 'frank', 'frankie'],
  ['raymond', 'ray'],
  ['reginald', 'reg', 'reggie'],
  ['philip', 'phil', 'pip'],
  ['jonathan', 'jon', 'jonny'],
  ['nathaniel', 'nathan', 'nat'],
  ['oliver', 'ollie', 'olly'],
  ['harold', 'harry', 'hal'],
  ['walter', 'walt', 'wally'],
  ['stanley', 'stan'],
  ['douglas', 'doug', 'dougie'],
  ['gregory', 'greg'],
  ['jeffrey', 'geoffrey', 'jeff', 'geoff'],
  ['victor', 'vic'],
  ['vincent', 'vince', 'vinny'],
  ['bernard', 'bernie'],
  ['archibald', 'archie'],
  ['theodore', 'theo', 'ted', 'teddy'],
  ['zachary', 'zach', 'zak'],
  ['joshua', 'josh'],
  ['mary', 'molly', 'polly', 'mae', 'maria', 'marie'],
  ['catherine', 'katherine', 'kathryn', 'kate', 'katie', 'kath', 'cathy', 'kathy', 'kitty', 'cath'],
  ['susan', 'sue', 'susie', 'suzanne'],
  ['deborah', 'debbie', 'debra', 'deb'],
  ['jennifer', 'jenny', 'jen', 'jenna'],
  ['patricia', 'pat', 'patsy', 'trish', 'tricia'],
  ['rebecca', 'becky', 'becca'],
  ['victoria', 'vicky', 'vicki', 'tori'],
  ['samantha', 'sam', 'sammy'],
  ['christine', 'christina', 'chris', 'chrissie', 'tina'],
  ['dorothy', 'dot', 'dolly', 'dottie'],
  ['eleanor', 'ellie', 'nell', 'nellie', 'elle'],
  ['helen', 'nell', 'nellie', 'ellen'],
  ['florence', 'flo', 'florrie', 'flossie'],
  ['frances', 'fran', 'fanny', 'frankie'],
  ['josephine', 'jo', 'josie'],
  ['joanne', 'jo', 'joanna', 'joan'],
  ['jacqueline', 'jackie', 'jacqui'],
  ['pamela', 'pam'],
  ['barbara', 'barb', 'babs'],
  ['sarah', 'sally', 'sadie', 'sara'],
  ['ann', 'anne', 'anna', 'annie', 'nancy', 'hannah'],
  ['abigail', 'abby', 'abbie', 'gail'],
  ['amelia', 'millie', 'milly', 'amy'],
  ['emily', 'emma', 'em', 'emmy'],
  ['isabel', 'isabella', 'isobel', 'izzy', 'bella', 'belle'],
  ['jessica', 'jess', 'jessie'],
  ['louise', 'louisa', 'lou', 'lulu'],
  ['lucy', 'lucinda', 'lu'],
  ['matilda', 'tilly', 'tillie', 'maud'],
  ['gwendolyn', 'gwen', 'wendy'],
  ['winifred', 'winnie', 'freda'],
  ['wilhelmina', 'mina', 'minnie', 'billie'],
  ['theresa', 'teresa', 'tess', 'tessa', 'terri'],
  ['caroline', 'carol', 'carrie', 'carole', 'lina'],
  ['charlotte', 'lottie', 'charlie', 'lotte'],
  ['penelope', 'penny'],
  ['harriet', 'hattie', 'hetty'],
  ['philippa', 'pippa', 'pip'],
  ['gillian', 'jill', 'gill', 'gilly'],
  ['valerie', 'val'],
  ['beatrice', 'bea', 'trixie'],
  ['agnes', 'aggie', 'nessa'],
  ['olivia', 'liv', 'livvy', 'ollie'],
  ['sophia', 'sophie'],
  ['kimberley', 'kimberly', 'kim'],
  ['natalie', 'nat', 'natalia', 'tally'],
];

const groupsByName = new Map<string, number[]>();
GROUPS.forEach((group, index) => {
  for (const name of group) {
    const list = groupsByName.get(name);
    if (list) list.push(index);
    else groupsByName.set(name, [index]);
  }
});

/** The indices of the nickname groups a normalised given name belongs to ([] when none). */
export function nicknameGroups(normalisedGiven: string): readonly number[] {
  return groupsByName.get(normalisedGiven) ?? [];
}

/** True when two different normalised given names are forms of the same name. */
export function areNicknames(a: string, b: string): boolean {
  if (a === b) return false;
  const ga = groupsByName.get(a);
  const gb = groupsByName.get(b);
  if (!ga || !gb) return false;
  return ga.some((g) => gb.includes(g));
}

/**
 * A stable key shared by every form of a name (the formal name of its first group), used for
 * blocking so that "Bill Smith" and "William Smith" meet; a name in no group is its own key.
 */
export function nicknameKey(normalisedGiven: string): string {
  const g = groupsByName.get(normalisedGiven)?.[0];
  return g === undefined ? normalisedGiven : (GROUPS[g]?.[0] ?? normalisedGiven);
}

/** How many name pairs (formal name → form) the table holds. */
export function nicknamePairCount(): number {
  return GROUPS.reduce((n, g) => n + g.length - 1, 0);
}
