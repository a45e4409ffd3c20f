/**
 * British given and family names with rough frequencies, and the nicknames people give one
 * source but not another. Given names come in three birth cohorts so that a 90-year-old is a
 * Doreen and a 9-year-old an Isla. Lists are ordered most common first; weights fall with rank.
 */

const list = (s: string): string[] => s.trim().split(/\s+/);

/** Born before 1960. */
const FEMALE_OLDER = list(`
Margaret Patricia Mary Joan Jean Barbara Sheila Joyce Doreen Dorothy Irene Elizabeth Brenda
Kathleen Sylvia Pauline Eileen Valerie Maureen Betty Beryl Audrey Marjorie Edna Jennifer Janet
Christine Shirley Ann Anne Pamela Gwendoline Vera Hilda Elsie Winifred Iris Ivy Florence Ethel
Gladys Mavis Rita Josephine Marion Jacqueline Gillian Carol Linda Susan Sandra Kathryn Veronica
Rosemary Hazel June Lilian Phyllis Evelyn Glenys Freda Norma Elaine Judith Wendy Yvonne Lorna
Frances Catherine`);
/** Born 1960 to 1989. */
const FEMALE_MIDDLE = list(`
Sarah Julie Karen Lisa Nicola Claire Susan Michelle Helen Amanda Emma Joanne Tracey Deborah
Rachel Louise Kelly Donna Caroline Angela Dawn Samantha Victoria Jennifer Rebecca Elizabeth
Kerry Gemma Laura Natalie Hayley Catherine Alison Andrea Jane Jacqueline Kathryn Stephanie
Zoe Amy Lindsey Joanna Nichola Sharon Tina Lynne Beverley Carol Paula Lorraine Sally Heidi
Kirsty Charlotte Jodie Leanne Danielle Katie Stacey Vicky Jessica Sophie Lucy Melanie Debbie
Justine Kimberley Alexandra Abigail Cheryl`);
/** Born 1990 or later. */
const FEMALE_YOUNGER = list(`
Olivia Amelia Emily Isla Ava Jessica Sophie Grace Lily Chloe Ella Mia Isabella Evie Poppy
Ruby Freya Sophia Charlotte Daisy Phoebe Millie Holly Lucy Megan Hannah Ellie Scarlett Erin
Evelyn Florence Matilda Harriet Rosie Willow Imogen Layla Niamh Eleanor Lola Esme Maisie
Bethany Abigail Georgia Katie Lauren Amber Eva Molly Summer Zara Aisha Leah Elsie Harper
Ivy Maya Aria Hallie Darcie Lacey Paige Caitlin Jasmine Rebecca Courtney Shannon Eliza Alice Lexi`);

const MALE_OLDER = list(`
John David Michael Peter Robert William James Brian Anthony Kenneth Alan Ronald Derek Keith
Colin Roy Dennis Raymond Geoffrey George Thomas Frank Arthur Harold Albert Frederick Donald
Leslie Norman Stanley Ernest Eric Walter Gordon Trevor Malcolm Barry Terence Bernard Cyril
Douglas Edward Gerald Henry Charles Leonard Maurice Philip Roger Graham Stephen Richard
Christopher Ian Patrick Joseph Francis Victor Reginald Sidney Herbert Clifford Ralph Harry
Alfred Jack Samuel Dennis Howard Neville`);
const MALE_MIDDLE = list(`
David Paul Mark Andrew Richard Stephen Michael Christopher Darren Lee Jason Matthew Daniel
Simon Ian Neil Gary Martin Craig Carl Wayne Robert Jonathan Anthony Scott Stuart Kevin Dean
James John Peter Steven Philip Adam Nicholas Shaun Glenn Russell Jamie Benjamin Thomas Mathew
Timothy Graham Alan Barry Jeremy Tony Alexander Kieran Ryan Gavin Nathan Robin Karl Jeffrey
Gareth Damian Marcus Justin Warren Duncan Colin Ashley Dominic Edward Luke Oliver Sean Joseph`);
const MALE_YOUNGER = list(`
Oliver George Harry Noah Jack Leo Arthur Muhammad Oscar Charlie Jacob Thomas Henry William
Freddie Alfie Theo Archie Joshua James Isaac Lucas Ethan Alexander Max Logan Mason Samuel
Finley Daniel Edward Joseph Dylan Riley Adam Sebastian Harrison Tommy Reggie Toby Louie
Jaxon Rory Ronnie Albie Elijah Benjamin Teddy Hugo Luca Jenson Zachary Frankie Elliot Bobby
Tyler Callum Liam Kieran Jordan Bradley Connor Kyle Lewis Ryan Luke Nathan Aaron Reece Owen`);

export const FAMILY_NAMES = list(`
Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson Thompson
Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson Wood Turner
Martin Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison Morgan Allen James Scott
Phillips Watson Davis Parker Price Bennett Young Griffiths Mitchell Kelly Cook Carter Richardson
Bailey Collins Bell Shaw Murphy Miller Cox Richards Khan Marshall Anderson Simpson Ellis Adams
Singh Begum Wilkinson Foster Chapman Powell Webb Rogers Gray Mason Ali Hunt Hussain Campbell
Matthews Owen Palmer Holmes Mills Barnes Knight Lloyd Butler Russell Barker Fisher Stevens
Jenkins Murray Dixon Harvey Graham Pearson Ahmed Fletcher Walsh Kaur Gibson Howard Andrews
Stewart Elliott Reynolds Saunders Payne Fox Ford Pearce Day Brooks West Lawrence Cole Atkinson
Bradley Spencer Gill Dawson Ball Burton O'Brien Watts Rose Booth Perry Ryan Grant Wells Armstrong
Francis Rees Hayes Hart Hudson Newman Barrett Webster Hunter Gregory Carr Lowe Page Marsh
Riley Dunn Woods Parsons Berry Stone Reid Holland Hawkins Harding Porter Robertson Newton
Oliver Reed Kennedy Williamson Bird Gardner Shah Dean Lane Cooke Bates Henderson Parry Burgess
Bishop Walton Burns Nicholson Shepherd Ross Cross Long Freeman Warren Nicholls Hamilton Byrne
Sutton McDonald Yates Hodgson Robson Curtis Hopkins O'Connor Harper Coleman Watkins Moss
McCarthy Chambers O'Neill Griffin Sharp Hardy Wheeler Potter Osborne Johnston Gordon Doyle
Wallace George Jordan Hutchinson Rowe Burke May Pritchard Gilbert Willis Higgins Read Miles
Stevenson Stephenson Hammond Arnold Buckley Walters Hewitt Barber Nelson Slater Austin Sullivan
Whitehouse Bloor Salt Plant Hulme Leese Mountford Tunnicliffe Goodwin Birks Bourne Hollins
Colclough Beech Boulton Wedgwood Hancock Mellor Meakin Cotton Malkin Alcock Brindley Steele
Heath Bagnall Dale Rigby Lovatt Finney Hine Basnett Chell Degg Forrester Ashley Podmore Mycock
Boote Cope Jervis Tams Wain Poole Brereton Bowers Moreton Hollinshead Cartlidge Proctor Stubbs`);

/** Common nicknames and short forms, as a clerk might record them. */
export const NICKNAMES: Readonly<Record<string, readonly string[]>> = {
  William: ['Bill', 'Will', 'Billy'], Margaret: ['Peggy', 'Maggie', 'Meg'], Robert: ['Bob', 'Rob', 'Bobby'],
  Elizabeth: ['Liz', 'Beth', 'Betty'], Richard: ['Dick', 'Rich'], James: ['Jim', 'Jimmy', 'Jamie'],
  Thomas: ['Tom', 'Tommy'], Catherine: ['Kate', 'Cathy'], Kathryn: ['Kath', 'Kathy'],
  Kathleen: ['Kath', 'Kathy'], Jennifer: ['Jenny', 'Jen'], Susan: ['Sue', 'Susie'], Patricia: ['Pat', 'Trish'],
  Edward: ['Ted', 'Eddie', 'Ed'], Anthony: ['Tony'], Michael: ['Mick', 'Mike'], Christopher: ['Chris'],
  Stephen: ['Steve'], Steven: ['Steve'], Joseph: ['Joe'], Samuel: ['Sam'], Alexander: ['Alex'],
  Daniel: ['Dan', 'Danny'], Matthew: ['Matt'], Benjamin: ['Ben'], Nicholas: ['Nick'], Andrew: ['Andy'],
  David: ['Dave'], Peter: ['Pete'], Kenneth: ['Ken'], Ronald: ['Ron', 'Ronnie'], Donald: ['Don'],
  Gerald: ['Gerry'], Frederick: ['Fred', 'Freddie'], Albert: ['Bert', 'Albie'], Harold: ['Harry'],
  Henry: ['Harry'], Charles: ['Charlie', 'Chas'], Dorothy: ['Dot', 'Dotty'], Deborah: ['Debbie', 'Debs'],
  Rebecca: ['Becky', 'Becca'], Victoria: ['Vicky', 'Tori'], Alexandra: ['Alex', 'Lexi'],
  Jacqueline: ['Jackie'], Christine: ['Chris', 'Chrissie'], Kimberley: ['Kim'], Samantha: ['Sam'],
  Pamela: ['Pam'], Barbara: ['Babs'], Frances: ['Fran'], Josephine: ['Jo', 'Josie'], Gillian: ['Gill'],
  Valerie: ['Val'], Sandra: ['Sandy'], Jessica: ['Jess'], Abigail: ['Abi', 'Abby'], Eleanor: ['Ellie'],
  Isabella: ['Bella', 'Izzy'], Olivia: ['Liv'], Joanne: ['Jo'], Joanna: ['Jo'], Nicola: ['Nicky'],
  Timothy: ['Tim'], Philip: ['Phil'], Terence: ['Terry'], Leonard: ['Len', 'Lenny'], Raymond: ['Ray'],
  Stanley: ['Stan'], Leslie: ['Les'], Norman: ['Norm'], Douglas: ['Doug'], Geoffrey: ['Geoff'],
  Bernard: ['Bernie'], Alfred: ['Alf', 'Alfie'], Sidney: ['Sid'], Reginald: ['Reg'], Walter: ['Wally'],
  Jonathan: ['Jon', 'Jonny'], Gareth: ['Gaz'], Zachary: ['Zach'], Nathan: ['Nate'], Joshua: ['Josh'],
  Florence: ['Flo'], Winifred: ['Winnie'], Gwendoline: ['Gwen'], Marjorie: ['Marje'], Beverley: ['Bev'],
  Lorraine: ['Lol'], Stephanie: ['Steph'], Katie: ['Kate'], Charlotte: ['Charlie', 'Lottie'], Sophia: ['Sophie'],
};

export type Cohort = 'older' | 'middle' | 'younger';

export function cohortOf(birthYear: number): Cohort {
  return birthYear < 1960 ? 'older' : birthYear < 1990 ? 'middle' : 'younger';
}

/** Names by sex and cohort; 'other' and 'unknown' draw from both lists. */
export const GIVEN_NAMES: Readonly<Record<'female' | 'male', Readonly<Record<Cohort, readonly string[]>>>> = {
  female: { older: FEMALE_OLDER, middle: FEMALE_MIDDLE, younger: FEMALE_YOUNGER },
  male: { older: MALE_OLDER, middle: MALE_MIDDLE, younger: MALE_YOUNGER },
};

/** Zipf-like weights by rank: the first names are a few times likelier than the last. */
export function rankWeights(n: number): number[] {
  return Array.from({ length: n }, (_, i) => 1 / (i + 8));
}
