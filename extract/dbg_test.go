package extract
import ("testing";"os";"fmt";"bytes";"golang.org/x/net/html";"golang.org/x/net/html/atom")
func TestDbgAnc(t *testing.T){
 data,_:=os.ReadFile(os.Getenv("F"))
 root,_:=html.Parse(bytes.NewReader(data))
 body:=findBody(root)
 stats:=measure(body); total:=stats[body].text
 var mainN *html.Node
 var f func(n *html.Node); f=func(n *html.Node){ if n.DataAtom==atom.Main {mainN=n}; for c:=n.FirstChild;c!=nil;c=c.NextSibling{f(c)}}; f(body)
 for n:=mainN; n!=nil && n!=body; n=n.Parent {
   fmt.Println(n.Data, attr(n,"class")[:min(80,len(attr(n,"class")))], attr(n,"id"), isFurniture(n,false,stats[n],total), stats[n].text, total)
 }
}
